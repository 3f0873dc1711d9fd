from seal_core.cli import main

raise SystemExit(main())
