from custsync.cli import main

raise SystemExit(main())
