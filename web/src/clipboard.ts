// Copying a value shown once (an API key's secret, a share link's URL) from its field.

/** Copies the field's value; without clipboard access (an insecure origin, a denied
 * permission) leaves it selected for the user to copy, and says so by returning false. */
export async function copyText(field: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.select();
    return false;
  }
}
