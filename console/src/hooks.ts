import { useCallback, useEffect, useState } from "react";
import { describe } from "./api";

export type Loaded<T> = {
  data: T | null;
  error: string | null;
  loading: boolean;
};

/** Load with `load` whenever `key` changes (a view that changed something changes the
 * key to read again). */
export function useLoaded<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const run = useCallback(load, [key]); // `load` is a new closure each render: the key says
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
  return { data, error, loading };
}
