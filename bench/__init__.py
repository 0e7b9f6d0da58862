"""openrtm's benchmark harness (design §6): ``python -m bench --help``."""
