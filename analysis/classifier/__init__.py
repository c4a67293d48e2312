"""Source text -> imports -> framework scores -> one decision with its evidence."""
