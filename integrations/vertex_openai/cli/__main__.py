"""``python -m vertex_openai.cli``: the ``vertex-openai`` command."""

import sys

from . import main

sys.exit(main())
