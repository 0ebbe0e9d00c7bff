"""flows: Prefect flows that orchestrate the library functions of the other packages, in batches."""
