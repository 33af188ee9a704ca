from napstack.cli import main

raise SystemExit(main())
