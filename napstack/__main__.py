from napstack.cli import run

run()
