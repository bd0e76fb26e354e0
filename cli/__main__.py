"""``python -m cli``: the same as the ``manouche`` command."""

from cli import main

if __name__ == "__main__":
    main(prog_name="manouche")
