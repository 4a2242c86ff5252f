from traffickingmonitor.cli import entry

# guarded: worker processes (the bootstrap's fork server) import the main module again
if __name__ == "__main__":
    entry()
