/** The escalation contacts (L1..Ln, response times) of the runbooks a history of drills verified. */

import { loadRunbook } from '../runbook/load.ts';
import type { EscalationContact } from '../runbook/model.ts';
import type { ContactsOf } from './response-times.ts';

/**
 * Reads each runbook file as it is now (paths as the records name them, relative to the cwd). A
 * file that cannot be read has no contacts: the review says so instead of guessing.
 *
 * @example
 * const contactsOf = await readEscalationContacts(records.map((r) => r.runbook.file));
 * const report = aggregate(records, { now, sinceMs, contactsOf });
 */
export async function readEscalationContacts(files: readonly string[]): Promise<ContactsOf> {
  const byFile = new Map<string, readonly EscalationContact[]>();
  for (const file of new Set(files))
    await loadRunbook(file).then(
      (l) => byFile.set(file, l.runbook.escalation.contacts),
      () => undefined,
    );
  return (file) => byFile.get(file);
}
