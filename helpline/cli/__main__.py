"""`python -m helpline.cli`: the same entry point as the `helpline` command."""
from helpline.cli import main

raise SystemExit(main())
