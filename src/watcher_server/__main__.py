from watcher_server.cli import main

main()
