from crs.cli import main

raise SystemExit(main())
