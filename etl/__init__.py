"""ETL for Bokji Atlas: reference tables, file ingest and the ``atlas`` command line."""
