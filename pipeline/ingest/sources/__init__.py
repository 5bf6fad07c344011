"""Where CloudTrail objects come from: S3 or a local folder laid out like a bucket.

`open.open_source` picks one by the source's name; `s3` and `local` list and read objects;
`layout` says what an object key means (CloudTrail's delivery layout, digests).
"""
