"""Pure logic over canonical records: normalize, resolve identities, merge, compute metrics."""
