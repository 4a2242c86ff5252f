from traffickingmonitor.cli import main

main()
