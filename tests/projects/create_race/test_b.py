from race import race


def test_b() -> None:
    race("b", "a")
