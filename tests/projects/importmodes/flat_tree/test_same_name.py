def test_flat():
    assert True
