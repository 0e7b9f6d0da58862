"""``python -m openrtm``: the same command line as ``openrtm``."""

import sys

from openrtm.cli import main

sys.exit(main())
