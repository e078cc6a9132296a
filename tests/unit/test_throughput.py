from ovocr.throughput import infer_jobs


class Compiled:
    def __init__(self, value):
        self.value = value

    def get_property(self, name):
        assert name == "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
        if self.value is None:
            raise RuntimeError("not supported by this device")
        return self.value


def test_infer_jobs_follows_openvino_but_keeps_at_least_two():
    assert infer_jobs(Compiled(4)) == 4
    assert infer_jobs(Compiled(1)) == 2  # one to run while Python prepares the other
    assert infer_jobs(Compiled(None)) == 2
