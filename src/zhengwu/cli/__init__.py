"""The ``zhengwu`` command line (Typer): thin commands over the domain services."""
