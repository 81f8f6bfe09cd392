// A TypeScript client of the kspolicy decision service (kspolicy serve), with no
// dependencies: Node 18+ (global fetch), or Deno, or a browser.
//
//   cd examples/clients && npm ci && npx tsc -p .    # strict; writes dist/decide.js
//   node examples/clients/dist/decide.js http://127.0.0.1:8181
//
// It asks for a decision (printed as JSON on the line `decision: {...}`), reads a
// problem-details answer (RFC 9457) when the case is bad, lists the questions that
// could still change the decision, and screens a partner's name against the policy's
// lists. tests/test_service_clients.py runs it against the real service.
//
// A service it cannot reach, or a first argument that is no http(s) URL, is said in one
// line on stderr with the way out (exit 1, or 2 for the argument), never a stack trace.

// The little of Node's `process` used here, so that no @types/node is needed.
declare const process: { argv: string[]; exit(code: number): never };

const DEFAULT_URL = "http://127.0.0.1:8181";

type Case = Record<string, unknown>;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string; code: string | null }[];
}

interface Decision {
  id: string;
  policy: { name: string; version: string; sha256: string; as_of: string };
  outcomes: Record<string, string | string[]>;
  possible: Record<string, string | string[]>;
  open_questions: { fact: string; question: string; rules: string[] }[];
  audit?: { seq: number; sha256: string };
}

interface Questions {
  questions: { fact: string; text: string; kind: string; hint: string }[];
  summary: { headline: string; open_questions: number };
}

interface Finding {
  list: string;
  answer: "match" | "possible" | "none" | "not covered";
  score: number | null;
  entry: string | null;
  evidence: string | null;
  uncovered: string | null;
  stale: boolean;
}

interface Screened {
  policy: { name: string; version: string; sha256: string };
  as_of: string;
  lists: { name: string; source: string; retrieved: string | null; stale: boolean }[];
  results: { name: string; ref: string | null; answer: Finding["answer"]; findings: Finding[] }[];
}

class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

/** The service could not be reached at all: what failed, and how to fix it. */
class UnreachableError extends Error {}

/** The first argument is no http(s) URL. */
class UsageError extends Error {}

/** The service's base URL from the first argument (the default without one). */
function baseUrl(argument: string | undefined): string {
  const text = argument ?? DEFAULT_URL;
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(
      `'${text}' is not an http(s) URL: give the service's URL as the first argument, e.g. ${DEFAULT_URL}`,
    );
  }
  return text.replace(/\/+$/, "");
}

async function post<T>(base: string, path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED...) is its cause.
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new UnreachableError(
      `cannot reach the kspolicy decision service at ${base} (${cause}): start it with ` +
        "`kspolicy serve`, or give its URL as the first argument, e.g. " +
        `node dist/decide.js ${DEFAULT_URL}`,
    );
  }
  if (!response.ok) {
    throw new ProblemError((await response.json()) as Problem);
  }
  return (await response.json()) as T;
}

async function main(base: string): Promise<void> {
  const drone: Case = {
    institution: "UAntwerpen",
    project: { topics: ["robotics.drones"], trl: 4, programme: "BOF" },
    partners: [{ name: "Example University of Technology", country: "CN", kind: "university", sanctions: [] }],
    researchers: [],
    funders: [],
  };
  const decision = await post<Decision>(base, "/v1/decisions?lang=en&as_of=2026-01-15", drone);
  console.log(`decision ${decision.id} by ${decision.policy.name} ${decision.policy.version}`);
  console.log(`decision: ${JSON.stringify(decision)}`);
  console.log("certain:", decision.outcomes);
  console.log("could still become:", decision.possible);

  const next = await post<Questions>(base, "/v1/questions?lang=en", drone);
  console.log(next.summary.headline);
  console.log("Ask next:");
  for (const q of next.questions.slice(0, 3)) console.log(`  ${q.fact}: ${q.text} [${q.hint}]`);

  const screened = await post<Screened>(base, "/v1/screen?as_of=2026-01-15", {
    names: [{ name: "Harbin Inst. of Technology", country: "CN", ref: "partner-1" }],
  });
  for (const result of screened.results) {
    console.log(`screened ${result.name} (${result.ref}): ${result.answer}`);
    for (const f of result.findings) {
      console.log(`  ${f.list}: ${f.answer}${f.entry ? `: ${f.entry}` : ""} (${f.evidence ?? f.uncovered ?? "-"})`);
    }
  }

  try {
    await post<Decision>(base, "/v1/decisions", { partners: [{ country: "XX" }], surprise: 1 });
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    console.log(error.message);
    for (const e of error.problem.errors ?? []) console.log(`  ${e.path}: ${e.message} (${e.code})`);
  }
}

async function run(argument: string | undefined): Promise<void> {
  try {
    await main(baseUrl(argument));
  } catch (error) {
    // What the user can fix, in one line; anything else is a bug, with its stack.
    const fixable =
      error instanceof UsageError || error instanceof UnreachableError || error instanceof ProblemError;
    if (fixable) {
      console.error(`decide: ${error.message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    }
    console.error(error);
    process.exit(1);
  }
}

void run(process.argv[2]);
