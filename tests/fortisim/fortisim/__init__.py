"""fortisim: a FortiOS SSH simulator used as a test double and demo lab.

It is not an oracle of FortiOS behaviour: outputs follow the project's
``fortios-cli-facts.md`` closely enough for parsers and the SSH client to be
exercised, with made-up values.
"""

__version__ = "0.1.0"
