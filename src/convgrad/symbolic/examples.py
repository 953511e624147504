def q1_example():
    raise NotImplementedError
