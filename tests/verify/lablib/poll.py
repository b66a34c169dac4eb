"""Waiting without fixed sleeps: call a probe until its answer is good, within a deadline."""

import time


class WaitTimeout(AssertionError):
    """A wait ran out: the expected state never came. An AssertionError, so pytest reports a
    failed expectation (with the last answer seen), not a crash."""


def poll(probe, *, timeout, until=bool, interval=0.2, what="the condition", ignore=(),
         clock=time.monotonic, sleep=time.sleep):
    """Call `probe()` until `until(answer)` is true and return that answer.

    The probe runs at least once, and once more at the deadline if the last try came earlier.
    Exceptions of the types in `ignore` count as a bad answer (the last one is named in the
    error); any other exception propagates at once. On timeout, raise WaitTimeout naming `what`
    and the last answer. `clock` and `sleep` are there for tests.
    """
    deadline = clock() + timeout
    tries = 0
    while True:
        tries += 1
        try:
            answer = probe()
        except ignore as error:  # pylint: disable=catching-non-exception
            answer = error
        else:
            if until(answer):
                return answer
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout("%s: not within %ss (%d tries); last answer: %r" % (what, timeout, tries, answer))
        sleep(min(interval, remaining))
