"""``python -m trustkit_cli`` runs the ``trustkit`` command."""

from trustkit_cli.main import main

raise SystemExit(main())
