"""Campaigns through the API, as ops run them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.api import Api

CAMPAIGN_FIELDS = """id name status startsAt endsAt participants budgetPoints budgetSpent
  budgetExhausted mechanics variants"""
CREATE = f"""mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{
  campaign {{ {CAMPAIGN_FIELDS} }} errors {{ code message field }} }} }}"""
ACTION = """mutation($input: CampaignActionInput!) {{ {name}(input: $input) {{
  campaign {{ id status }} errors {{ code message }} }} }}"""
JOIN = """mutation($input: JoinCampaignInput!) { joinCampaign(input: $input) {
  participation { enrolled campaign { id } } errors { code message field } } }"""
FIGURES = """query($id: ID!) { campaign(id: $id) { status budgetSpent figures {
  participants enrolments pointsIssued budgetLeft prizesPaid orders orderValue
  costPerParticipant costPerOrder } } }"""


async def create_campaign(
    api: Api, starts: datetime, ends: datetime, **fields: Any
) -> dict[str, Any]:
    result = await api.data(
        CREATE,
        api.admin(),
        input={
            "name": "Double 11",
            "startsAt": starts.isoformat(),
            "endsAt": ends.isoformat(),
            **fields,
        },
    )
    assert result["createCampaign"]["errors"] == [], result
    campaign: dict[str, Any] = result["createCampaign"]["campaign"]
    return campaign


async def act(api: Api, action: str, campaign_id: str, **extra: Any) -> dict[str, Any]:
    name = f"{action}Campaign"
    result = await api.data(
        ACTION.format(name=name), api.admin(), input={"campaignId": campaign_id, **extra}
    )
    payload: dict[str, Any] = result[name]
    return payload
