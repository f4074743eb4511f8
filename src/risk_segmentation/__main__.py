from risk_segmentation.cli import main

raise SystemExit(main())
