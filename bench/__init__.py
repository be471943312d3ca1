"""chargeplane benchmark suite (`python -m bench`, `make bench`). See bench/RESULTS.md."""
