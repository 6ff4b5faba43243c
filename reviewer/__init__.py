"""Take Reviewer: from tens of thousands of generated video takes to a shot list with provenance.

The package is layered (see DESIGN.md): store <- media <- ingest <- review <- export <- cli/ui.
Only ``reviewer.ui`` imports Qt.
"""

__version__ = "0.1.0"
