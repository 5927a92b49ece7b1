import { DAY_MS, type PointsState } from "./ledger";
import { rewardValue } from "./settings";

export interface Nudge {
  /** idempotency key: store it in the sent log once the message is handed to the mailer */
  key: string;
  customerId: string;
  lotId: string;
  /** days before expiry this reminder belongs to */
  offset: number;
  points: number;
  value: number;
  expiresAt: Date;
}

export const nudgeKey = (customerId: string, lotId: string, offset: number): string => `${customerId}|${lotId}|${offset}`;

/**
 * Reminders due at `now`, one per lot at most. If the job was down and several offsets passed, only
 * the closest to expiry is sent: three reminders at once would be noise. Lots with nothing left
 * (fully redeemed) or already expired get none. Already-sent keys are skipped, so the job can run as
 * often as it likes.
 */
export function dueNudges(state: PointsState, now: Date, sentLog: ReadonlySet<string> | Iterable<string>): Nudge[] {
  const sent = sentLog instanceof Set ? (sentLog as ReadonlySet<string>) : new Set(sentLog);
  const t = now.getTime();
  const offsets = [...state.settings.nudgeOffsetsDays].sort((a, b) => a - b);
  const out: Nudge[] = [];
  for (const c of Object.values(state.customers)) {
    for (const lot of c.lots) {
      const left = lot.points - lot.burned;
      const exp = lot.expiresAt.getTime();
      if (left <= 0 || t >= exp) continue;
      const offset = offsets.find((o) => t >= exp - o * DAY_MS);
      if (offset === undefined) continue;
      const key = nudgeKey(c.customerId, lot.lotId, offset);
      if (sent.has(key)) continue;
      out.push({
        key,
        customerId: c.customerId,
        lotId: lot.lotId,
        offset,
        points: left,
        value: rewardValue(left, state.settings.redemptionRate),
        expiresAt: lot.expiresAt,
      });
    }
  }
  return out.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.key.localeCompare(b.key));
}
