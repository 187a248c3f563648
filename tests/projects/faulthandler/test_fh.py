def test_with_watchdog_configured():
    assert True


def test_fails_normally():
    assert 1 == 2
