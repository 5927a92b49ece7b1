-- Uplift targeting (issue 15 item 5, ADR 100): the churn risk the analysis gave a member when it was
-- assigned. CustomerScore is replaced by every analysis run, so without this snapshot the page could
-- not say, on past members it did not fit on, how targeting by churn risk would have done against
-- targeting by expected incremental profit. NULL for members assigned before this column existed.
ALTER TABLE "CampaignMember" ADD COLUMN "churnRiskAtAssignment" DOUBLE PRECISION;
