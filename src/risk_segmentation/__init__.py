"""Tools around the risk segmentation dbt project: the raw data generator and its CLI."""
