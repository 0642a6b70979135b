"""Feeds: parsing (:mod:`newsingest.feedparse`) and polling (:mod:`newsingest.polling`).

The pipeline imports everything feed-related from here.
"""

from newsingest.feedparse import FeedEntry, newest_first, parse_feed
from newsingest.polling import FeedState, PollOutcome, circuit_open, poll_feed

__all__ = ["FeedEntry", "FeedState", "PollOutcome", "circuit_open", "newest_first",
           "parse_feed", "poll_feed"]
