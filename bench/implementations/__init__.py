"""One module per implementation of the workloads: the raw drivers, manouche and its peers."""
