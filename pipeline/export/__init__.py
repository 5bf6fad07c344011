"""Export: delivery with a cursor, and one module per output format or SIEM."""
