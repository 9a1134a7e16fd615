"""Allow ``python -m fortisim`` (the harness uses it so no console script is needed)."""

from fortisim.cli import main

raise SystemExit(main())
