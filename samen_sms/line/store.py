"""What the line keeps in Redis about a person, under their pseudonym: the webhook's two round trips.

The keys and their lifetimes are in `samen_sms.line.redis_keys`; every one of them has a TTL.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus

from samen_sms.content.engine import Outcome, Visit
from samen_sms.content.hints import Hint, stored_hint
from samen_sms.content.replies import split_messages
from samen_sms.content.visits import next_visit, read_visit
from samen_sms.core.config import Config
from samen_sms.line import redis_keys
from samen_sms.line.once import sent_once
from samen_sms.line.outbox import OutboxItem, References

DELIVER_JOB = "samen_sms.line.replies.deliver"
OUTBOX_TTL = 7 * 24 * 3600
MINUTE = 60  # seconds: the budget for new numbers is counted per minute
SWEEP_AFTER = 60.0  # seconds a reply may be owed before a sweep queues its delivery again

# Round trip 1: claim the MessageSid with this request's token, read where the person is and their
# language, count the message in the rate window, note the MessageSid under the person (so the
# delete word reaches Twilio's log), ask which code-shaped words are live referral codes, and read
# the keys the features' before-step hooks hold about the person (`Registry.before`); a number the
# line knows nothing about is counted against this minute's budget for new numbers (line.budget).
# KEYS: dedup, conversation, profile, rate counter, inbound sids, live codes (lent by the reach room;
# when no room lends them, the dedup key again, never read), new numbers this minute, of them from
# the number's country, hooks' keys...
# ARGV: token, dedup ttl, rate window, MessageSid, new-number counters' ttl, candidate codes...
ARRIVE = """
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
local holder = redis.call('GET', KEYS[1])
local session = redis.call('GET', KEYS[2])
local profile = redis.call('GET', KEYS[3])
local count = redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[2])
local live = {}
if #ARGV > 5 then live = redis.call('SMISMEMBER', KEYS[6], unpack(ARGV, 6)) end
local held = {}
for i = 9, #KEYS do held[i - 8] = redis.call('GET', KEYS[i]) end
local fresh = {0, 0}
if holder == ARGV[1] and not session and not profile then
  for i = 1, 2 do
    fresh[i] = redis.call('INCR', KEYS[6 + i])
    redis.call('EXPIRE', KEYS[6 + i], ARGV[5])
  end
end
return {holder, session, profile, count, live, held, fresh}
"""

# Round trip 2, the line's part of the MULTI/EXEC: the MessageSid's claim marked committed, where
# the person is now (or nowhere), their language, and the replies owed (outbox in order, the owed
# index). RQ's enqueue follows it as RQ's own commands. KEYS: conversation, profile, outbox, owed,
# dedup. ARGV: claim marker, state ('' deletes it), its ttl, profile ('' keeps it), its
# ttl, pseudonym, created, outbox ttl, outbox items...
COMMIT = """
redis.call('SET', KEYS[5], ARGV[1], 'XX', 'KEEPTTL')
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5]) end
if #ARGV > 8 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 9))
  redis.call('EXPIRE', KEYS[3], ARGV[8])
  redis.call('ZADD', KEYS[4], 'NX', ARGV[7], ARGV[6])
end
return 0
"""
COMMITTED = "+"  # appended to a claim's token once its transaction ran
Claim = tuple[str, str]  # (MessageSid, token)


def person_keys(p: str) -> list[str]:
    """Every key that belongs to one person and goes with the delete word, named without a SCAN.

    The rate counter stays: erasing it would let a flood of delete words past the rate limit, and
    it holds nothing but a count under the pseudonym, gone when its window ends. The delivery lock
    is left alone too: it expires or is released by the worker holding it, and deleting it could
    let two workers send at once.
    """
    return [
        redis_keys.CONVERSATION(p),
        redis_keys.PROFILE(p),
        redis_keys.OUTBOX(p),
        redis_keys.INFLIGHT(p),
        redis_keys.ATTEMPT(p),
        redis_keys.TRIES(p),
        redis_keys.SENT_BY(p),
        redis_keys.INBOUND_BY(p),
    ]


@dataclass(frozen=True)
class Arrival:
    """What the first round trip learns: is this new, where is the person, are they flooding us."""

    duplicate: bool
    visit: Visit
    count: int
    codes: frozenset[str] = frozenset()  # which of the message's code-shaped words are live referral codes
    token: str = ""  # this request's claim on the MessageSid (`Store.commit` marks it committed)
    held: tuple[str | None, ...] = ()  # the values of the before-step hooks' keys, in the order asked
    # A number the line knows nothing about: its rank among this minute's new numbers, overall and
    # from its country calling code (line.budget); (0, 0) for a number the line knows.
    new_number: tuple[int, int] = (0, 0)


def place_in_menus(pipe: Any, p: str, node: str, hint: Hint | None, ttl: int) -> None:
    """Queue on `pipe`: the person is now at `node` (with the menu's hint), for `ttl` seconds."""
    pipe.set(redis_keys.CONVERSATION(p), _state(node, hint), ex=ttl)


def _state(node: str, hint: Hint | None) -> str:
    # Where a person is in the menus, as stored (`Store.arrive` reads it back into a Visit): the
    # hint as its bare value, the screen saying which kind it is (`content.visits.read_hint`).
    value = stored_hint(hint) if hint is not None else ""
    return json.dumps({"n": node, "h": value} if value else {"n": node}, separators=(",", ":"))


def remember_language(pipe: Any, p: str, locale: str, ttl: int, only_if_unknown: bool = False) -> None:
    """Queue on `pipe`: the person's language is `locale` (kept `ttl` seconds after the last contact)."""
    pipe.set(redis_keys.PROFILE(p), json.dumps({"l": locale}), ex=ttl, nx=only_if_unknown)


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


def _json(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Store:
    """The webhook's view of Redis: exactly two round trips per message."""

    def __init__(
        self, conn: redis.Redis, queue: Queue, config: Config, urgent: Queue | None = None, late: Queue | None = None
    ) -> None:
        self.conn = conn
        self.queue = queue
        self.urgent = urgent if urgent is not None else queue
        self.late = late if late is not None else queue
        self.config = config
        # Round trip 1 is one EVALSHA (redis-py loads the script again after a Redis restart).
        self._arrive = conn.register_script(ARRIVE)

    def load_scripts(self) -> None:
        """Put round trip 1's script into Redis's cache (else the first message loads it: two more trips)."""
        self.conn.script_load(ARRIVE)

    def arrive(
        self,
        message_sid: str,
        p: str,
        now: float | None = None,
        candidates: tuple[str, ...] = (),
        held: tuple[str, ...] = (),
        live_codes: str = "",
        country: str = "0",
    ) -> Arrival:
        """Round trip 1: claim the MessageSid, read session and profile, count the message.

        One EVALSHA of `ARRIVE`. `candidates` are the message's words shaped like referral codes:
        which of them are live is asked in the same script (one SMISMEMBER, only when there are any),
        of the set named `live_codes`, which the reach room lends (`Registry.live_codes`); without
        it no word is a live code. `held` are keys the features' before-step hooks keep about the
        person: read in the same script (one GET each), so a hook costs no round trip. A number
        with neither conversation nor profile is counted among this minute's new numbers, overall
        and from `country` (its calling code), for the budget of line/budget.py.

        The claim carries a token of this request: when the connection drops after Redis ran the
        script but before its answer came back, the client sends it again, and the claim then
        finds its own token, not a duplicate. (The rate counter counts that message twice.)
        """
        now = time.time() if now is None else now
        token = secrets.token_hex(8)
        cfg = self.config
        candidates = candidates if live_codes else ()
        keys = [
            redis_keys.DEDUP(message_sid),
            redis_keys.CONVERSATION(p),
            redis_keys.PROFILE(p),
            redis_keys.RATE(p, int(now // cfg.rate_limit_window)),
            redis_keys.INBOUND_BY(p),
            live_codes or redis_keys.DEDUP(message_sid),
            redis_keys.NEW_NUMBERS(int(now // MINUTE)),
            redis_keys.NEW_BY_COUNTRY(country, int(now // MINUTE)),
            *held,
        ]
        args: list[str | int] = [token, cfg.dedup_ttl, cfg.rate_limit_window, message_sid, 2 * MINUTE, *candidates]
        holder, session_raw, profile_raw, count, live, values, fresh = self._arrive(keys=keys, args=args)
        codes = frozenset(c for c, is_live in zip(candidates, live, strict=True) if is_live)
        session, profile = _json(session_raw), _json(profile_raw)
        visit = read_visit(session.get("n"), profile.get("l"), session.get("h"))
        mine = _text(holder) == token
        found = tuple(_text(value) for value in values)
        new_number = (int(fresh[0]), int(fresh[1]))
        return Arrival(not mine, visit, int(count), codes, token, found, new_number)

    def committed(self, message_sid: str, token: str) -> bool:
        """Whether this request's transaction ran (its answer may have been lost with the connection)."""
        holder = self.conn.get(redis_keys.DEDUP(message_sid))
        return _text(holder) == token + COMMITTED

    def release(self, message_sid: str) -> None:
        """Forget a claimed MessageSid, so Twilio's retry is answered after a failed second step."""
        self.conn.delete(redis_keys.DEDUP(message_sid))

    def transaction(self) -> Any:
        """A MULTI/EXEC pipeline, opened explicitly so RQ can add its enqueue to it."""
        pipe = self.conn.pipeline(transaction=True)
        pipe.multi()
        return pipe

    def commit(
        self,
        p: str,
        outcome: Outcome,
        sealed: str,
        channel: str,
        claim: Claim,
        effects_pipe: Any = None,
        front: bool = False,
        late: bool = False,
    ) -> None:
        """Round trip 2: save the new state, add the reply to the outbox and queue its delivery.

        Whatever the features added to `effects_pipe` goes first; then the line's writes (one EVAL
        of `COMMIT`) and RQ's enqueue, all in one MULTI/EXEC. `claim` (MessageSid, token) is marked
        committed in the same transaction, so `committed` can tell afterwards whether it ran.
        `front` puts an urgent reply at the head of the urgent queue (help now, ahead of greetings);
        `late` puts a first contact past the budget for new numbers on the queue workers take last.
        """
        cfg = self.config
        visit = next_visit(outcome)
        pipe = effects_pipe if effects_pipe is not None else self.transaction()
        items: list[OutboxItem] = []
        if outcome.replies:
            # A reply may be several messages (a text to forward goes alone): one outbox item each,
            # in order, so each is sent exactly once and in the order the engine gave.
            now = time.time()
            items = [
                OutboxItem(sealed, outcome.reply_locale, References(refs), channel, now, outcome.erases)
                for refs in split_messages(outcome.replies)
            ]
        # The line's own writes are one EVAL inside the MULTI/EXEC (never EVALSHA: a Redis restarted
        # since the script was loaded would run the rest of the transaction without it).
        message_sid, token = claim
        pipe.eval(
            COMMIT,
            5,
            redis_keys.CONVERSATION(p),
            redis_keys.PROFILE(p),
            redis_keys.OUTBOX(p),
            redis_keys.OWED(),
            redis_keys.DEDUP(message_sid),
            token + COMMITTED,
            _state(visit.node, visit.hint) if visit.node is not None else "",
            cfg.conversation_ttl,
            json.dumps({"l": outcome.locale}) if outcome.locale is not None else "",
            cfg.profile_ttl,
            p,
            items[0].created if items else 0,
            OUTBOX_TTL,
            *(item.dumps() for item in items),
        )
        if items:
            queue = self.late if late else self.urgent if outcome.urgent else self.queue
            enqueue_deliver(queue, cfg, p, pipe, front and outcome.urgent)
        with sent_once():  # run twice, this transaction would queue the reply twice
            pipe.execute()


    def owe(self, p: str, items: list[OutboxItem], urgent: bool = False) -> None:
        """Add replies made outside a step (a helper's written message) to the outbox, and queue their delivery.

        They join the replies already owed, in order, and go with the rest at an erasure.
        """
        if not items:
            return
        pipe = self.transaction()
        pipe.rpush(redis_keys.OUTBOX(p), *(item.dumps() for item in items))
        pipe.expire(redis_keys.OUTBOX(p), OUTBOX_TTL)
        pipe.zadd(redis_keys.OWED(), {p: items[0].created}, nx=True)
        enqueue_deliver(self.urgent if urgent else self.queue, self.config, p, pipe)
        pipe.execute()


class LineQueue(Queue):
    """RQ's queue, writing a queued job in two commands where RQ sends five (issue #11).

    For a new job RQ first sets the status with an HSET of its own, then saves the job's hash
    (which holds the status too), then sets expiries on the job, its dependents and its
    dependencies keys; a job without dependencies has neither of the last two. Here such a job is
    its hash and the hash's expiry; anything else (dependencies, scheduled, no ttl) is RQ's own.
    The queue's registration (SADD) and the push of the job's id stay RQ's.
    """

    def _persist_job(self, job: Job, pipeline: Any, status: JobStatus = JobStatus.QUEUED) -> None:
        plain = status == JobStatus.QUEUED and job.get_status(refresh=False) == status
        if not plain or job._dependency_ids or not job.ttl or job.ttl < 0:
            super()._persist_job(job, pipeline, status)
            return
        job.save(pipeline=pipeline)
        pipeline.expire(job.key, job.ttl)


def enqueue_deliver(queue: Queue, config: Config, p: str, pipe: Any = None, at_front: bool = False) -> None:
    """Queue `deliver(p)`: no result kept, failures expire, a neutral description for RQ's logs."""
    queue.enqueue_call(
        DELIVER_JOB,
        args=(p,),
        description="deliver",  # RQ logs the description; the default would print the argument
        result_ttl=0,
        ttl=OUTBOX_TTL,
        failure_ttl=config.failed_job_ttl,
        retry=Retry(max=config.send_retries, interval=[2, 5, 15, 60, 300]),
        pipeline=pipe,
        at_front=at_front,
    )
