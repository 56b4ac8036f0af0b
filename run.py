"""Run the Khlong Hae green market: `python run.py` serves it, `python run.py --help` lists commands."""
from core.cli import cli

if __name__ == "__main__":
    cli()
