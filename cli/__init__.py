"""The ``musicxai`` command line: thin wrappers that import each shell only when its command runs."""
