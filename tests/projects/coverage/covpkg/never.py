def never_imported() -> int:
    return 1
