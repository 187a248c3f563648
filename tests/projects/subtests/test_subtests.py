import unittest


class T(unittest.TestCase):
    def test_loop(self):
        for i in range(4):
            with self.subTest(i=i):
                self.assertNotEqual(i, 2)

    def test_msg(self):
        for name in ("a", "b"):
            with self.subTest("named", name=name, obj=object):
                self.assertEqual(name, "a")


def test_fixture(subtests):
    for i in range(3):
        with subtests.test(msg="fx", i=i, data=[i, {"k": (1, 2)}]):
            assert i != 1


def test_uncopyable(subtests):
    import threading

    lock = threading.Lock()
    for i in range(2):
        with subtests.test(lock=lock, gen=(x for x in [i]), i=i):
            assert i == 0
