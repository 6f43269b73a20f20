"""The ``trustkit`` command (installed as the package ``trustkit_cli``)."""
