from race import race


def test_a() -> None:
    race("a", "b")
