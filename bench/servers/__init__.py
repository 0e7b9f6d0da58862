"""The comparison servers the harness measures next to openrtm."""
