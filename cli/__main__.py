"""``python -m trustkit_cli`` runs the ``trustkit`` command."""

from .main import main

raise SystemExit(main())
