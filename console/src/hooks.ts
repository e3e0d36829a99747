import { useCallback, useEffect, useState } from "react";
import { describe } from "./api";

export type Loaded<T> = {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
};

/** Load with `load` whenever `key` changes; `reload` loads again. */
export function useLoaded<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, [key, round]);
  useEffect(() => {
    let current = true;
    setLoading(true);
    run()
      .then((found) => current && (setData(found), setError(null)))
      .catch((problem) => current && setError(describe(problem)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [run]);
  return { data, error, loading, reload: () => setRound((n) => n + 1) };
}
