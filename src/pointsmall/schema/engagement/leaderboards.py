"""Leaderboards (nicknames and points only) and the achievement card."""

from __future__ import annotations

from typing import Self

import strawberry

from pointsmall.domain.engagement.achievements import Achievement as AchievementModel
from pointsmall.domain.engagement.leaderboards import BoardEntry, Period, Standing

LeaderboardPeriod = Period
strawberry.enum(LeaderboardPeriod, name="LeaderboardPeriod")


@strawberry.type(description="Only nicknames and points: nothing else of other users.")
class LeaderboardEntry:
    rank: int
    nickname: str
    points: int


@strawberry.type
class LeaderboardStanding:
    rank: int
    points: int


@strawberry.type
class Leaderboard:
    period: LeaderboardPeriod
    entries: list[LeaderboardEntry]
    me: LeaderboardStanding | None = strawberry.field(
        description="The caller's place (null: not ranked in this period)."
    )

    @classmethod
    def of(cls, period: Period, entries: list[BoardEntry], standing: Standing | None) -> Self:
        return cls(
            period=period,
            entries=[
                LeaderboardEntry(rank=entry.rank, nickname=entry.nickname, points=entry.points)
                for entry in entries
            ],
            me=LeaderboardStanding(rank=standing.rank, points=standing.points)
            if standing
            else None,
        )


@strawberry.type(description='The "my points achievement" card a user may share.')
class Achievement:
    total_earned: int = strawberry.field(description="Points earned, net of refunds.")
    streak: int = strawberry.field(description="Check-in days in a row.")
    rank_percentile: float | None = strawberry.field(
        description="Share of ranked users this user is ahead of, all time (0-100)."
    )

    @classmethod
    def from_model(cls, card: AchievementModel) -> Self:
        return cls(
            total_earned=card.total_earned,
            streak=card.streak,
            rank_percentile=card.rank_percentile,
        )
