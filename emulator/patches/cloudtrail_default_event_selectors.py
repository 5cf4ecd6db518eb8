"""A new CloudTrail trail has AWS's default event selector; basic and advanced selectors replace each other.

AWS: CreateTrail gives the trail one basic event selector, ``{"ReadWriteType": "All", "IncludeManagementEvents":
true, "DataResources": [], "ExcludeManagementEventSources": []}``, so GetEventSelectors on a fresh trail says it
records every management event. PutEventSelectors with basic selectors removes the advanced ones and vice versa
(a trail uses one kind or the other). `efs-guard doctor` judges a trail by these selectors.

moto 5.2: a new trail has no selectors at all (it would look like a trail that records nothing), and putting basic
selectors keeps the advanced ones. This patch sets the default at creation and makes the two kinds exclusive.

Source: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html and
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html (a trail
logs all management events by default).
"""

from moto.cloudtrail.models import Trail

DEFAULT_SELECTOR = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}


def apply() -> None:
    original_init = Trail.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.event_selectors = [dict(DEFAULT_SELECTOR)]
        self.advanced_event_selectors = []

    def put_event_selectors(self, event_selectors, advanced_event_selectors):
        if event_selectors:
            self.event_selectors = event_selectors
            self.advanced_event_selectors = []
        elif advanced_event_selectors:
            self.event_selectors = []
            self.advanced_event_selectors = advanced_event_selectors

    Trail.__init__ = __init__
    Trail.put_event_selectors = put_event_selectors
